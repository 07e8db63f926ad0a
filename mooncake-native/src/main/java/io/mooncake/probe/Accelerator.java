package io.mooncake.probe;

import java.nio.file.Path;

/**
 * One accelerator (GPU, NPU, MLU) as a topology location.
 *
 * @param prefix the location prefix of the reference's priority matrix: {@code cuda}, {@code hip},
 *        {@code npu} or {@code mlu}
 * @param index the runtime's device index
 * @param pciAddress its PCI address, empty when unknown
 * @param numaNode its NUMA node, -1 when unknown
 * @param pciPath the resolved PCI device directory, {@code null} when unknown
 * @param name product name, when a runtime told it
 * @param deviceFile the device file the runtime opens ({@code /dev/nvidia0})
 */
public record Accelerator(String prefix, int index, String pciAddress, int numaNode, Path pciPath, String name,
        String deviceFile) {

    /** The matrix key, e.g. {@code cuda:0}. */
    public String location() {
        return prefix + ":" + index;
    }
}
