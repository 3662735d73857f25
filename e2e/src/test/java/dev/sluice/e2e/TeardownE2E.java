package dev.sluice.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.ClassOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The suite leaves nothing behind: the last class to run ({@link ClassOrderer.OrderAnnotation}, see
 * junit-platform.properties) takes the cluster down and compares {@code node.sh snapshot} of the
 * machine (the cluster's processes, mounts, network namespaces, links, addresses and routes,
 * iptables, sysctls, cgroups, paths) from before {@code up} with the one after {@code down}.
 */
@Order(Integer.MAX_VALUE)
@ExtendWith(ClusterExtension.class)
class TeardownE2E {

    @Test
    void theMachineIsAsBeforeTheClusterCameUp(TestCluster cluster) {
        TestCluster.MachineSnapshots snapshots = cluster.shutDown();

        assertThat(difference(snapshots.before(), snapshots.after()))
                .as("what differs after down from before up (- before, + after)").isEmpty();
    }

    /** The lines of one snapshot the other lacks (as many times as they are missing), each marked - or +. */
    private static List<String> difference(String before, String after) {
        Map<String, Integer> count = new LinkedHashMap<>();
        before.lines().forEach(line -> count.merge(line, 1, Integer::sum));
        after.lines().forEach(line -> count.merge(line, -1, Integer::sum));
        List<String> difference = new ArrayList<>();
        count.forEach((line, surplus) -> {
            for (int i = 0; i < Math.abs(surplus); i++) {
                difference.add((surplus > 0 ? "- " : "+ ") + line);
            }
        });
        return difference;
    }
}
