/**
 * The public API: {@link io.mooncake.engine.api.TransferEngine}, requests, statuses, batches, buffers and exceptions.
 */
package io.mooncake.engine.api;
