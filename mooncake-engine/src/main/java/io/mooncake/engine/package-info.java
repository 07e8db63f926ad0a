/**
 * Mooncake Transfer Engine for Java: the engine core, free of Spring and of JNA.
 */
package io.mooncake.engine;
