/** Auto-configuration of the Mooncake health indicator and its place in the Kubernetes probe groups. */
package io.mooncake.autoconfigure.health;
