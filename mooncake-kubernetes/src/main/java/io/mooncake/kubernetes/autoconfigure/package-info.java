/** Auto-configuration of Mooncake's Kubernetes support; inactive outside Kubernetes. */
package io.mooncake.kubernetes.autoconfigure;
