import { defineEntity, type InferEntity, p } from '@mikro-orm/core';

// Both entities live in one file so the relation between them needs no circular import.

export const Product = defineEntity({
  name: 'Product',
  tableName: 'products',
  properties: {
    id: p.bigint('number').primary(),
    serialNumber: p.string().length(100).unique('products_serial_number_unique'),
    name: p.string().length(255),
    description: p.text().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
    images: () => p.oneToMany(ProductImage).mappedBy('product').orderBy({ id: 'asc' }),
  },
});

export const ProductImage = defineEntity({
  name: 'ProductImage',
  tableName: 'product_images',
  properties: {
    id: p.bigint('number').primary(),
    product: () => p.manyToOne(Product).deleteRule('cascade'),
    inputUrl: p.text(),
    outputUrl: p.text(),
    thumbnailUrl: p.text().nullable(),
    width: p.integer().nullable(),
    height: p.integer().nullable(),
    format: p.string().length(16).nullable(),
    inputBytes: p.bigint('number').nullable(),
    outputBytes: p.bigint('number').nullable(),
    requestId: p.uuid().nullable(),
    itemId: p.uuid().unique('product_images_item_id_unique'),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});

export type ProductEntity = InferEntity<typeof Product>;
export type ProductImageEntity = InferEntity<typeof ProductImage>;

export const entities = [Product, ProductImage];
