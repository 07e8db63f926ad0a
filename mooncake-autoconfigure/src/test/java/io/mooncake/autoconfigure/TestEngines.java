package io.mooncake.autoconfigure;

import static org.mockito.BDDMockito.given;
import static org.mockito.Mockito.mock;

import io.mooncake.engine.api.PeerInfo;
import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.engine.select.SelectionReport;
import io.mooncake.engine.select.SelectionReport.Decision;
import io.mooncake.engine.select.SelectionReport.Outcome;
import io.mooncake.engine.stats.TransferStats;
import io.mooncake.engine.transport.Availability;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Mock engines in the states health, endpoint and metrics tests need. */
public final class TestEngines {

    private TestEngines() {
    }

    /** A tcp engine on P2PHANDSHAKE with the given fallback decisions, reachable metadata and two peers. */
    public static MooncakeEngine mock(Decision... extraDecisions) {
        MooncakeEngine engine = org.mockito.Mockito.mock(MooncakeEngine.class);
        List<Decision> decisions = new ArrayList<>(List.of(extraDecisions));
        decisions.add(new Decision("tcp", Availability.ready("always available", Map.of()),
                extraDecisions.length == 0 ? Outcome.ACTIVE : Outcome.ADDED, null, "tcp runs"));
        List<String> requested = extraDecisions.length == 0 ? List.of("tcp")
                : List.of(extraDecisions[0].protocol());
        given(engine.selection()).willReturn(new SelectionReport(requested, List.of("tcp"), decisions));
        given(engine.localSegmentName()).willReturn("127.0.0.1:12001");
        given(engine.transportStats()).willReturn(Map.of("tcp", Map.of("dataPort", 15123, "outboundConnections", 2)));
        given(engine.metadataReachable()).willReturn(true);
        given(engine.metadataDescription()).willReturn("etcd at 10.0.0.5:2379");
        given(engine.peers()).willReturn(List.of(new PeerInfo(1, "10.0.0.2:12001", "tcp", "10.0.0.2", 1, 1 << 20, false),
                new PeerInfo(2, "10.0.0.3:12001", "tcp", "10.0.0.3", 1, 1 << 20, true)));
        given(engine.stats()).willReturn(new TransferStats());
        given(engine.registeredMemory()).willReturn(List.of());
        return engine;
    }

    /** A decision: {@code protocol} fell back to tcp for {@code cause}. */
    public static Decision fellBack(String protocol, Availability.Cause cause) {
        return new Decision(protocol, Availability.unavailable(cause, protocol + " probe said " + cause,
                "fix " + protocol), Outcome.FELL_BACK, "tcp", protocol + " fell back");
    }

    static MooncakeEngine unused() {
        return mock();
    }
}
