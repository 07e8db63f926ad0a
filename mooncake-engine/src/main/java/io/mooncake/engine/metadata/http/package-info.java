/** The HTTP metadata backend: the reference protocol's client and an embeddable server. */
package io.mooncake.engine.metadata.http;
