import { z } from './zod.ts';

export const MAX_PER_PAGE = 100;

/** Strict positive integer from a query string: "1" ok; "1.5", "abc", "-1", "01e2" refused. */
export const queryInt = (name: string, { min, max }: { min: number; max: number }) =>
  z
    .string()
    .regex(/^\d{1,9}$/, `${name} must be a whole number`)
    .transform(Number)
    .pipe(z.number().int().min(min, `${name} must be at least ${min}`).max(max, `${name} must be at most ${max}`));

export const PageQuerySchema = z.object({
  page: queryInt('page', { min: 1, max: 1_000_000_000 })
    .prefault('1')
    .meta({ example: '1', description: 'Page number, from 1.' }),
  per_page: queryInt('per_page', { min: 1, max: MAX_PER_PAGE })
    .prefault('10')
    .meta({ example: '10', description: `Items per page, 1 to ${MAX_PER_PAGE}.` }),
});

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    page: z.number().int(),
    per_page: z.number().int(),
    total: z.number().int(),
    pages: z.number().int(),
  });

export function pagesFor(total: number, perPage: number): number {
  return Math.ceil(total / perPage);
}
