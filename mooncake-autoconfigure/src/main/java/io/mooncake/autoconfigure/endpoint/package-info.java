/** Auto-configuration of the {@code mooncake} Actuator endpoint. */
package io.mooncake.autoconfigure.endpoint;
