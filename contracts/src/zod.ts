// The one zod instance every schema is built with, so `.meta()` ids feed the OpenAPI registry.
export { z } from 'zod';
