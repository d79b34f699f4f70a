// The platform's PostgreSQL layer, under the names the service's modules import.
export { createPool, type Pool, type Queryable, transaction } from '@ipp/platform';
