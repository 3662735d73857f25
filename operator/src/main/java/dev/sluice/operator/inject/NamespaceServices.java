package dev.sluice.operator.inject;

import io.fabric8.kubernetes.api.model.Service;
import java.util.List;

/**
 * The Services of a namespace, whose ports tell the injector which protocol the app speaks ({@link AppProtocolChoice}).
 * The injector asks only when a pod is injected without {@value dev.sluice.api.inject.InjectionNames#APP_PROTOCOL}.
 */
@FunctionalInterface
public interface NamespaceServices {
    /** The namespace's Services as they are now; throws when they cannot be read. */
    List<Service> in(String namespace);

    /** No Services anywhere: the protocol comes from the pod alone. */
    static NamespaceServices none() {
        return namespace -> List.of();
    }
}
