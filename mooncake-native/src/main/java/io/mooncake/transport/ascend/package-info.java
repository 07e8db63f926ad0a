/**
 * Protocol ascend: availability from the probes (NPUs, AscendCL, HCCL), and the reference's
 * descriptor parts ({@code rank_info}, buffer {@code device_id}, server names
 * {@code ip:port:npu_N}, {@code /etc/hccn.conf}); no data path (the reference's uses HCCL
 * internals that CANN does not publish).
 */
package io.mooncake.transport.ascend;
