/** JNA bindings to Huawei AscendCL (libascendcl) and HCCL's public C API (libhccl). */
package io.mooncake.jna.acl;
