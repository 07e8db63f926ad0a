/** Micrometer meters of the Mooncake transfer engine: a listener on the data path and a binder over the engine's counters. */
package io.mooncake.autoconfigure.metrics;
