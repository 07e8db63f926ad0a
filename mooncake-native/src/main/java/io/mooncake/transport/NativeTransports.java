package io.mooncake.transport;

import io.mooncake.engine.transport.TransportProvider;
import io.mooncake.probe.DeviceAccess;
import io.mooncake.probe.LibraryLoader;
import io.mooncake.transport.ascend.AscendTransportProvider;
import io.mooncake.transport.barex.BarexTransportProvider;
import io.mooncake.transport.cxl.CxlTransportProvider;
import io.mooncake.transport.efa.EfaTransportProvider;
import io.mooncake.transport.hip.HipTransportProvider;
import io.mooncake.transport.nvlink.NvlinkTransportProvider;
import io.mooncake.transport.nvlinkintra.NvlinkIntraTransportProvider;
import io.mooncake.transport.nvmeof.NvmeofTransportProvider;
import io.mooncake.transport.rdma.RdmaTransportProvider;
import java.util.List;

/** This module's transport providers, built over a given library loader and device check. */
public final class NativeTransports {

    private NativeTransports() {
    }

    /** One provider per native protocol: rdma, efa, nvlink, nvlink_intra, hip, barex, cxl, ascend, nvmeof. */
    public static List<TransportProvider> providers(LibraryLoader loader, DeviceAccess access) {
        return List.of(new RdmaTransportProvider(loader, access), new EfaTransportProvider(loader, access),
                new NvlinkTransportProvider(loader, access), new NvlinkIntraTransportProvider(loader, access),
                new HipTransportProvider(loader, access), new BarexTransportProvider(loader, access),
                new CxlTransportProvider(loader, access), new AscendTransportProvider(loader, access),
                new NvmeofTransportProvider(loader, access));
    }
}
