package io.mooncake.engine.transport;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;

/** The transport providers on a class path. */
public final class TransportProviders {

    private TransportProviders() {
    }

    /** Every provider {@link ServiceLoader} finds in {@code loader}, in class-path order. */
    public static List<TransportProvider> load(ClassLoader loader) {
        List<TransportProvider> list = new ArrayList<>();
        for (TransportProvider p : ServiceLoader.load(TransportProvider.class, loader)) {
            list.add(p);
        }
        return list;
    }

    /** Every protocol name the providers in {@code loader} serve, sorted. */
    public static Set<String> protocols(ClassLoader loader) {
        Set<String> names = new TreeSet<>();
        for (TransportProvider p : load(loader)) {
            names.addAll(p.protocols());
        }
        return names;
    }
}
