/**
 * The transport SPI: providers, transports, availability and the context the engine gives them.
 */
package io.mooncake.engine.transport;
