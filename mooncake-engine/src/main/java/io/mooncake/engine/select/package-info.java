/**
 * Which transports run, and why: protocol selection with stated fallback reasons.
 */
package io.mooncake.engine.select;
