package dev.sluice.operator;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.ZonedDateTime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives the leader Lease up when a replica stops on purpose (SIGTERM: a rolling upgrade, a scale-down,
 * a drained node), so that another replica leads within its retry period (2 s) instead of waiting for
 * the Lease to expire (15 s), during which no queued Job is resumed. JOSDK 5.2 builds its leader
 * elector with {@code releaseOnCancel} off and offers no switch. Released as client-go and Fabric8
 * release it (no holder, a duration of one second), but with a full update on the resourceVersion
 * just read: Fabric8's own {@code release()} sends a patch in which the absent holder changes nothing.
 */
final class LeaderLease {
    private static final Logger LOG = LoggerFactory.getLogger(LeaderLease.class);

    private LeaderLease() {
    }

    /**
     * Releases the Lease {@code namespace/name} if {@code identity} holds it. Returns whether it did;
     * failing to is logged, never thrown (the Lease then expires as it would have).
     */
    static boolean release(KubernetesClient client, String namespace, String name, String identity, Clock clock) {
        try {
            Lease lease = client.leases().inNamespace(namespace).withName(name).get();
            if (lease == null || lease.getSpec() == null || !identity.equals(lease.getSpec().getHolderIdentity())) {
                return false;
            }
            ZonedDateTime now = ZonedDateTime.now(clock);
            // The update carries the resourceVersion read above: a Lease another replica took meanwhile is refused (409), not overwritten.
            client.resource(new LeaseBuilder(lease).editSpec().withHolderIdentity(null).withLeaseDurationSeconds(1)
                    .withAcquireTime(now).withRenewTime(now).endSpec().build()).update();
            LOG.info("Gave the leader Lease {}/{} up", namespace, name);
            return true;
        } catch (KubernetesClientException e) {
            LOG.warn("Could not give the leader Lease {}/{} up; it expires on its own: {}", namespace, name, e.toString());
            return false;
        }
    }
}
