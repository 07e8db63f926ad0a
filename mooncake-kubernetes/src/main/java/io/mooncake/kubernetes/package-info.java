/** Mooncake on Kubernetes: ConfigMap and Secret configuration with a safe reload, and peer discovery. */
package io.mooncake.kubernetes;
