/**
 * Segment descriptors (the reference's JSON), metadata connection strings and keys, and the SPIs for metadata stores and segment directories.
 */
package io.mooncake.engine.metadata;
