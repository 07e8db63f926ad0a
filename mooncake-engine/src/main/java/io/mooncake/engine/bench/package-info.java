/**
 * The benchmark with the reference transfer_engine_bench's flags and result line, and its plain-NIO baseline.
 */
package io.mooncake.engine.bench;
