import {
  type CreateProduct,
  type EnsuredProducts,
  type EnsureProducts,
  type ListProductsQuery,
  type Product as ProductBody,
  type ProductList,
  pagesFor,
  type UpdateProduct,
} from '@ipp/contracts';
import { AppError } from '@ipp/platform';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Product } from '../entities.ts';
import { findPage } from './find-page.ts';
import { givenIds, presentProducts } from './present.ts';
import { upsertBySerialNumber } from './repository.ts';

// The products domain: what the routes call. It speaks the contract's shapes and error codes, not HTTP.

export async function listProducts(em: EntityManager, query: ListProductsQuery): Promise<ProductList> {
  const { page, per_page: perPage } = query;
  const search = query.search || undefined;
  const { ids, total } = await findPage(em, { search, offset: (page - 1) * perPage, limit: perPage });
  const items = ids ? await presentProducts(em, ids) : [];
  return { items, page, per_page: perPage, total, pages: pagesFor(total, perPage) };
}

/** The product as the API shows it, or a 404. */
export async function getProduct(em: EntityManager, id: number): Promise<ProductBody> {
  const [product] = await presentProducts(em, givenIds([id]));
  if (!product) throw new AppError('not_found', `Product ${id} does not exist`);
  return product;
}

/** Flushes, turning a duplicate serial number (also from a concurrent request) into a conflict. */
async function flushUnique(em: EntityManager, serialNumber: string | undefined) {
  try {
    await em.flush();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) {
      throw new AppError('conflict', `A product with serial number ${serialNumber} already exists`, {
        errors: [{ path: 'serial_number', message: 'serial_number already exists' }],
      });
    }
    throw error;
  }
}

export async function createProduct(em: EntityManager, body: CreateProduct): Promise<ProductBody> {
  const product = em.create(Product, {
    serialNumber: body.serial_number,
    name: body.name,
    description: body.description ?? null,
  });
  await flushUnique(em, body.serial_number);
  return getProduct(em, product.id);
}

/** Replaces the fields present in `body`; the others keep their values. */
export async function updateProduct(em: EntityManager, id: number, body: UpdateProduct): Promise<ProductBody> {
  const product = await em.findOne(Product, { id });
  if (!product) throw new AppError('not_found', `Product ${id} does not exist`);
  if (body.serial_number !== undefined) product.serialNumber = body.serial_number;
  if (body.name !== undefined) product.name = body.name;
  if (body.description !== undefined) product.description = body.description;
  await flushUnique(em, body.serial_number);
  return getProduct(em, id);
}

export async function deleteProduct(em: EntityManager, id: number): Promise<void> {
  const deleted = await em.nativeDelete(Product, { id });
  if (deleted === 0) throw new AppError('not_found', `Product ${id} does not exist`);
}

/** Finds or creates each product by serial number; one entry per distinct serial number, in input order. */
export async function ensureProducts(em: EntityManager, body: EnsureProducts): Promise<EnsuredProducts> {
  const rows = await upsertBySerialNumber(em, body.products);
  const bySerial = new Map(rows.map((row) => [row.serial_number, row]));
  const seen = new Set<string>();
  const products = body.products.flatMap(({ serial_number }) => {
    const row = bySerial.get(serial_number);
    if (!row || seen.has(serial_number)) return [];
    seen.add(serial_number);
    return [row];
  });
  return { products };
}
