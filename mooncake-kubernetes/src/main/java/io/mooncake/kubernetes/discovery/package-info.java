/** Discovery of the other members of a Mooncake cluster (under Kubernetes: the pods behind a headless Service). */
package io.mooncake.kubernetes.discovery;
