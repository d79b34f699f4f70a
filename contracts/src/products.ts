import { PageQuerySchema, pageOf } from './pagination.ts';
import { z } from './zod.ts';

export const SERIAL_NUMBER_MAX = 100;
export const NAME_MAX = 255;
export const DESCRIPTION_MAX = 5000;
export const SEARCH_MAX = 200;

/** Product ids are positive integers (bigint identity in the database). */
export const ProductIdSchema = z
  .string()
  .regex(/^[1-9]\d{0,15}$/, 'id must be a positive integer')
  .transform(Number)
  .meta({ example: '42' });

// PostgreSQL's text cannot hold U+0000: a NUL that reached a query failed it as a 500.
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is the character refused.
const NO_NUL = /^[^\u0000]*$/;
const noNul = (field: string) => `${field} must not contain NUL characters`;

const trimmed = (field: string, max: number) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? `${field} is required` : `${field} must be a string`) })
    .trim()
    .min(1, `${field} must not be empty`)
    .max(max, `${field} must be at most ${max} characters`)
    .regex(NO_NUL, noNul(field));

export const ProductImageSchema = z
  .object({
    id: z.number().int(),
    input_url: z.string(),
    output_url: z.string(),
    thumbnail_url: z.string().nullable(),
    width: z.number().int().nullable(),
    height: z.number().int().nullable(),
    format: z.string().nullable(),
    input_bytes: z.number().int().nullable(),
    output_bytes: z.number().int().nullable(),
    request_id: z.string().nullable(),
    created_at: z.iso.datetime(),
  })
  .meta({ id: 'ProductImage' });

export const ProductSchema = z
  .object({
    id: z.number().int().meta({ example: 42 }),
    serial_number: z.string().meta({ example: 'SKU-0001' }),
    name: z.string().meta({ example: 'Walnut desk' }),
    description: z.string().nullable(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
    images: z.array(ProductImageSchema),
  })
  .meta({ id: 'Product' });

export const CreateProductSchema = z
  .strictObject({
    serial_number: trimmed('serial_number', SERIAL_NUMBER_MAX).meta({ example: 'SKU-0001' }),
    name: trimmed('name', NAME_MAX).meta({ example: 'Walnut desk' }),
    description: z
      .string('description must be a string')
      .max(DESCRIPTION_MAX, `description must be at most ${DESCRIPTION_MAX} characters`)
      .regex(NO_NUL, noNul('description'))
      .nullable()
      .optional(),
  })
  .meta({ id: 'CreateProduct' });

/** PUT replaces the editable fields; a field left out keeps its value. */
export const UpdateProductSchema = CreateProductSchema.partial()
  .refine((body) => Object.keys(body).length > 0, 'at least one field is required')
  .meta({ id: 'UpdateProduct' });

export const ListProductsQuerySchema = PageQuerySchema.extend({
  search: z
    .string()
    .trim()
    .max(SEARCH_MAX, `search must be at most ${SEARCH_MAX} characters`)
    .regex(NO_NUL, noNul('search'))
    .optional()
    .meta({ example: 'desk' }),
});

export const ProductListSchema = pageOf(ProductSchema).meta({ id: 'ProductList' });

export type Product = z.infer<typeof ProductSchema>;
export type ProductImage = z.infer<typeof ProductImageSchema>;
export type CreateProduct = z.infer<typeof CreateProductSchema>;
export type UpdateProduct = z.infer<typeof UpdateProductSchema>;
export type ListProductsQuery = z.infer<typeof ListProductsQuerySchema>;
export type ProductList = z.infer<typeof ProductListSchema>;

/** Internal (service to service): find or create products by serial number, in one call. */
export const EnsureProductsSchema = z.strictObject({
  products: z
    .array(
      z.strictObject({
        serial_number: trimmed('serial_number', SERIAL_NUMBER_MAX),
        name: trimmed('name', NAME_MAX),
      }),
    )
    .min(1)
    .max(10_000),
});
export const EnsuredProductsSchema = z.object({
  products: z.array(z.object({ id: z.number().int(), serial_number: z.string(), name: z.string() })),
});
export type EnsureProducts = z.infer<typeof EnsureProductsSchema>;
export type EnsuredProducts = z.infer<typeof EnsuredProductsSchema>;
