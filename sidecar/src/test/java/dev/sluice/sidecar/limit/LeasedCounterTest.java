package dev.sluice.sidecar.limit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class LeasedCounterTest {
    private static final long SECOND = 1_000_000_000L;
    private static final long TTL = SECOND / 10;

    /** A store of {@code units} that never refill, answering when told to (or at once). */
    static final class PoolRemote implements RemoteCounter {
        long units;
        boolean answerAtOnce = true;
        RuntimeException failure;
        final List<long[]> takes = new ArrayList<>();
        final List<Runnable> pending = new ArrayList<>();

        PoolRemote(long units) {
            this.units = units;
        }

        @Override
        public CompletableFuture<TakeResult> take(long giveBack, long min, long max, long nowNanos) {
            takes.add(new long[] {giveBack, min, max});
            CompletableFuture<TakeResult> future = new CompletableFuture<>();
            Runnable answer = () -> {
                if (failure != null) {
                    future.completeExceptionally(failure);
                    return;
                }
                units += giveBack;
                long granted = Math.min(max, units);
                if (granted < min) {
                    granted = 0;
                }
                units -= granted;
                future.complete(new TakeResult(granted, new long[] {units}, new long[] {SECOND}, new long[] {granted >= min ? 0 : SECOND}));
            };
            if (answerAtOnce) {
                answer.run();
            } else {
                pending.add(answer);
            }
            return future;
        }

        void answerAll() {
            List<Runnable> now = new ArrayList<>(pending);
            pending.clear();
            now.forEach(Runnable::run);
        }
    }

    private static SharedOutcome outcome() {
        return new SharedOutcome().prepare(1);
    }

    @Test
    void spendsALeaseLocallyAndGrowsItWhileItIsUsedUp() {
        PoolRemote remote = new PoolRemote(1_000);
        LeasedCounter counter = new LeasedCounter(remote, 1, 1, 8, TTL);
        int roundTrips = 0;
        for (int i = 0; i < 40; i++) {
            if (counter.tryLocally(1, 0, outcome()) == SharedCounter.NEEDS_STORE) {
                roundTrips++;
                assertThat(counter.decide(1, 0, outcome()).join().allowed()).isTrue();
            }
        }
        // Leases of 1, 2, 4, 8, 8, 8...: 40 requests in 8 round trips.
        assertThat(roundTrips).isEqualTo(8);
        assertThat(remote.takes).extracting(take -> take[2]).containsExactly(1L, 2L, 4L, 8L, 8L, 8L, 8L, 8L);
        assertThat(1_000 - remote.units - counter.held()).isEqualTo(40);
    }

    @Test
    void givesAnExpiredLeaseBackWithTheNextTake() {
        PoolRemote remote = new PoolRemote(100);
        LeasedCounter counter = new LeasedCounter(remote, 1, 1, 8, TTL);
        counter.decide(1, 0, outcome()).join();
        counter.tryLocally(1, 0, outcome());
        counter.decide(1, 0, outcome()).join();
        assertThat(counter.held()).isEqualTo(1);

        assertThat(counter.tryLocally(1, TTL, outcome())).isEqualTo(SharedCounter.NEEDS_STORE);
        counter.decide(1, TTL, outcome()).join();

        assertThat(remote.takes.get(2)[0]).as("given back").isEqualTo(1);
        assertThat(100 - remote.units - counter.held()).isEqualTo(3);
    }

    @Test
    void remembersARefusalUntilTheStoreSaidToComeBack() {
        PoolRemote remote = new PoolRemote(1);
        LeasedCounter counter = new LeasedCounter(remote, 1, 1, 8, TTL);
        assertThat(counter.decide(1, 0, outcome()).join().allowed()).isTrue();

        SharedOutcome refused = counter.decide(1, 0, outcome()).join();
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.usage(0).retryAfterNanos()).isEqualTo(SECOND);
        assertThat(counter.tryLocally(1, SECOND / 2, outcome())).isEqualTo(SharedCounter.REFUSED);
        assertThat(remote.takes).hasSize(2);
        assertThat(counter.tryLocally(1, SECOND, outcome())).isEqualTo(SharedCounter.NEEDS_STORE);
    }

    @Test
    void requestsWaitForTheTakeOnItsWayInsteadOfSendingTheirOwn() {
        PoolRemote remote = new PoolRemote(100);
        remote.answerAtOnce = false;
        LeasedCounter counter = new LeasedCounter(remote, 1, 1, 8, TTL);
        List<CompletableFuture<SharedOutcome>> decisions = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            decisions.add(counter.decide(1, 0, outcome()));
        }
        assertThat(remote.takes).hasSize(1);

        remote.answerAll();
        remote.answerAll();
        remote.answerAll();

        assertThat(decisions).allSatisfy(decision -> assertThat(decision.join().allowed()).isTrue());
        assertThat(100 - remote.units - counter.held()).isEqualTo(3);
    }

    @Test
    void aFailedTakeFailsTheDecisionAndTheNextOneTriesAgain() {
        PoolRemote remote = new PoolRemote(100);
        remote.failure = new IllegalStateException("down");
        LeasedCounter counter = new LeasedCounter(remote, 1, 1, 8, TTL);

        assertThat(counter.decide(1, 0, outcome())).isCompletedExceptionally();
        remote.failure = null;
        assertThat(counter.decide(1, 0, outcome()).join().allowed()).isTrue();
    }

    @Test
    void aRefundGoesBackIntoTheLease() {
        PoolRemote remote = new PoolRemote(100);
        LeasedCounter counter = new LeasedCounter(remote, 1, 1, 8, TTL);
        counter.decide(1, 0, outcome()).join();
        counter.refund(1, 0);
        assertThat(counter.tryLocally(1, 0, outcome())).isEqualTo(SharedCounter.ALLOWED);
    }

    @Test
    void forgettingItGivesWhatItHoldsBackToTheStore() {
        PoolRemote remote = new PoolRemote(100);
        LeasedCounter counter = new LeasedCounter(remote, 1, 1, 8, TTL);
        counter.decide(1, 0, outcome()).join();
        counter.tryLocally(1, 0, outcome());
        counter.decide(1, 0, outcome()).join();
        assertThat(counter.held()).isEqualTo(1);
        assertThat(counter.forgettableAt()).isEqualTo(Long.MIN_VALUE);

        counter.forget(0);

        assertThat(counter.held()).isZero();
        assertThat(remote.units).as("the 2 spent stay taken, the one held is back").isEqualTo(98);
    }

    @Test
    void aCounterWithATakeOnItsWayIsNotForgettable() {
        PoolRemote remote = new PoolRemote(100);
        remote.answerAtOnce = false;
        LeasedCounter counter = new LeasedCounter(remote, 1, 1, 8, TTL);
        CompletableFuture<SharedOutcome> decision = counter.decide(1, 0, outcome());

        assertThat(counter.forgettableAt()).isEqualTo(Long.MAX_VALUE);

        remote.answerAll();
        decision.join();
        assertThat(counter.forgettableAt()).isEqualTo(Long.MIN_VALUE);
    }
}
