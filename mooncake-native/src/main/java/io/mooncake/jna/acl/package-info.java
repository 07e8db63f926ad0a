/** JNA binding to Huawei AscendCL (libascendcl). */
package io.mooncake.jna.acl;
