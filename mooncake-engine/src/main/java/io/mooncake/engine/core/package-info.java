/**
 * The engine implementation: wires memory, metadata, transports and batches together.
 */
package io.mooncake.engine.core;
