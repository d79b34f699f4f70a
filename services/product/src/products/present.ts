import type { Product as ProductBody, ProductImage as ProductImageBody } from '@ipp/contracts';
import type { ProductEntity, ProductImageEntity } from '../entities.ts';

/** The API's snake_case shape of a product with its images (loaded by the caller). */
export function presentProduct(product: ProductEntity): ProductBody {
  return {
    id: product.id,
    serial_number: product.serialNumber,
    name: product.name,
    description: product.description ?? null,
    created_at: product.createdAt.toISOString(),
    updated_at: product.updatedAt.toISOString(),
    images: product.images.isInitialized() ? product.images.getItems().map(presentImage) : [],
  };
}

function presentImage(image: ProductImageEntity): ProductImageBody {
  return {
    id: image.id,
    input_url: image.inputUrl,
    output_url: image.outputUrl,
    thumbnail_url: image.thumbnailUrl ?? null,
    width: image.width ?? null,
    height: image.height ?? null,
    format: image.format ?? null,
    input_bytes: image.inputBytes ?? null,
    output_bytes: image.outputBytes ?? null,
    request_id: image.requestId ?? null,
    created_at: image.createdAt.toISOString(),
  };
}
