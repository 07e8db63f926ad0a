/** The {@code mooncake} Actuator endpoint. */
package io.mooncake.actuate.endpoint;
