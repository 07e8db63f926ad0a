/**
 * The same-process transport ({@code local}): plain memory copies between engines of one JVM, and
 * between an engine and its own segment. Runs alongside every other transport.
 */
package io.mooncake.engine.transport.local;
