package dev.sluice.operator.status;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes Events on Sluice resources, as {@code kubectl describe} shows them. The same event for
 * the same resource twice in a row is recorded once (two reconciliations can race on one change, as
 * client-go's event correlator also assumes). A failure to record one is logged, never fatal.
 */
public final class EventRecorder {
    public static final String COMPONENT = "sluice-operator";
    public static final String NORMAL = "Normal";
    public static final String WARNING = "Warning";
    private static final Logger LOG = LoggerFactory.getLogger(EventRecorder.class);
    private static final int MAX_MESSAGE = 1024;
    private static final int REMEMBERED_RESOURCES = 10_000;

    private final KubernetesClient client;
    private final Clock clock;
    private final Map<String, String> lastEventByResource = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > REMEMBERED_RESOURCES;
        }
    };

    public EventRecorder(KubernetesClient client, Clock clock) {
        this.client = client;
        this.clock = clock;
    }

    public void record(HasMetadata resource, String type, String reason, String message) {
        String event = type + "/" + reason + "/" + message;
        synchronized (lastEventByResource) {
            if (event.equals(lastEventByResource.put(resource.getMetadata().getUid(), event))) {
                return;
            }
        }
        String now = clock.instant().toString();
        String namespace = resource.getMetadata().getNamespace();
        try {
            client.v1().events().inNamespace(namespace).resource(new EventBuilder()
                    .withNewMetadata()
                    .withGenerateName(resource.getMetadata().getName() + ".")
                    .withNamespace(namespace)
                    .endMetadata()
                    .withInvolvedObject(new ObjectReferenceBuilder()
                            .withApiVersion(resource.getApiVersion())
                            .withKind(resource.getKind())
                            .withName(resource.getMetadata().getName())
                            .withNamespace(namespace)
                            .withUid(resource.getMetadata().getUid())
                            .withResourceVersion(resource.getMetadata().getResourceVersion())
                            .build())
                    .withType(type)
                    .withReason(reason)
                    .withMessage(message.length() > MAX_MESSAGE ? message.substring(0, MAX_MESSAGE) : message)
                    .withFirstTimestamp(now)
                    .withLastTimestamp(now)
                    .withCount(1)
                    .withNewSource().withComponent(COMPONENT).endSource()
                    .withReportingComponent(COMPONENT)
                    .build()).create();
        } catch (KubernetesClientException e) {
            LOG.warn("Could not record event {} on {}/{}: {}", reason, namespace, resource.getMetadata().getName(), e.getMessage());
        }
    }
}
