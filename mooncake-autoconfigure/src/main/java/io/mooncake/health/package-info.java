/** The Mooncake health indicator. */
package io.mooncake.health;
