/** The key-value segment directory: publishes and finds segments through a {@code MetadataStore}. */
package io.mooncake.engine.metadata.kv;
