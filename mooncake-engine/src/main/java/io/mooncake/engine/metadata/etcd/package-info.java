/** The etcd metadata backend (jetcd, optional): keys on a kept-alive lease, prefix watches. */
package io.mooncake.engine.metadata.etcd;
