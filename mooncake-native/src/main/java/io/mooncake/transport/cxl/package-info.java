/**
 * Transport for protocol cxl: every engine on the host maps the CXL device (device-DAX or a
 * shareable file) and a transfer is a memory copy through this node's mapping.
 */
package io.mooncake.transport.cxl;
