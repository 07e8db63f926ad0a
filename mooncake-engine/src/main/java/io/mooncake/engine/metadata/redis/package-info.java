/** The Redis metadata backend (Lettuce, optional): AUTH, SELECT, keys with a refreshed expiry. */
package io.mooncake.engine.metadata.redis;
