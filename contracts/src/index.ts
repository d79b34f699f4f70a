export * from './health.ts';
export * from './keys.ts';
export * from './messages.ts';
export * from './pagination.ts';
export * from './problem.ts';
export * from './problem-explanations.ts';
export * from './products.ts';
export * from './uploads.ts';
export { z } from './zod.ts';
