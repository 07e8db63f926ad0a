/** JNA binding to libibverbs (rdma-core) and its probe facade. */
package io.mooncake.jna.verbs;
