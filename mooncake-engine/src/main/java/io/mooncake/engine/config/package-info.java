/**
 * Engine configuration: the immutable {@link io.mooncake.engine.config.EngineConfig}, the reference's {@code MC_*} variables, {@code MOONCAKE_*} variables and the Mooncake JSON file.
 */
package io.mooncake.engine.config;
