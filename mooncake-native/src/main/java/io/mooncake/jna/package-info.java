/** JNA bindings to vendor libraries, one interface per library, each behind a small Java facade. */
package io.mooncake.jna;
