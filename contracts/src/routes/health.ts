import { createRoute } from '@hono/zod-openapi';
import { HealthDetailedSchema, HealthSummarySchema, ProbeSchema } from '../health.ts';
import { z } from '../zod.ts';
import { json, throughGateway } from './responses.ts';

const ReadinessSchema = ProbeSchema.extend({ reasons: z.array(z.string()) }).meta({ id: 'Readiness' });

export const getHealthRoute = throughGateway(
  createRoute({
    method: 'get',
    path: '/health',
    operationId: 'getHealth',
    tags: ['health'],
    summary: 'Overall status',
    description: 'The platform’s status in one word, with the version and uptime. Never rate limited.',
    responses: {
      200: json('Ok or degraded.', HealthSummarySchema),
      503: json('Down: a critical dependency is not ready.', HealthSummarySchema),
    },
  }),
  { rateLimit: false },
);

export const getLivenessRoute = throughGateway(
  createRoute({
    method: 'get',
    path: '/health/live',
    operationId: 'getLiveness',
    tags: ['health'],
    summary: 'Liveness',
    description: 'Answers while the health service serves; checks no dependency.',
    responses: { 200: json('The process serves.', ProbeSchema) },
  }),
  { rateLimit: false },
);

export const getReadinessRoute = throughGateway(
  createRoute({
    method: 'get',
    path: '/health/ready',
    operationId: 'getReadiness',
    tags: ['health'],
    summary: 'Readiness',
    description:
      'Whether every critical dependency (database, broker, each service) is ready; `reasons` names what is not.',
    responses: {
      200: json('Ready.', ReadinessSchema),
      503: json('Not ready.', ReadinessSchema),
    },
  }),
  { rateLimit: false },
);

export const getHealthDetailedRoute = throughGateway(
  createRoute({
    method: 'get',
    path: '/health/detailed',
    operationId: 'getHealthDetailed',
    tags: ['health'],
    summary: 'Every check',
    description: 'Every check with its latency: database, broker, services, queues and system resources.',
    responses: {
      200: json('Ok or degraded.', HealthDetailedSchema),
      503: json('Down.', HealthDetailedSchema),
    },
  }),
  { rateLimit: false },
);
