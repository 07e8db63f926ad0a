/**
 * Counters of bytes and requests, and the listener told about every request that ends.
 */
package io.mooncake.engine.stats;
