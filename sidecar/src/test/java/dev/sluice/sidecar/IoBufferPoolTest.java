package dev.sluice.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.undertow.connector.PooledByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class IoBufferPoolTest {
    private static final long MIB = 1024 * 1024;

    @Test
    void directBuffersUpToTheBudgetThenHeapOnes() {
        IoBufferPool pool = new IoBufferPool(1024, 2);
        PooledByteBuffer first = pool.allocate();
        PooledByteBuffer second = pool.allocate();
        PooledByteBuffer third = pool.allocate();

        assertThat(first.getBuffer().isDirect()).isTrue();
        assertThat(second.getBuffer().isDirect()).isTrue();
        assertThat(third.getBuffer().isDirect()).as("past the budget").isFalse();
        assertThat(third.getBuffer().capacity()).isEqualTo(1024);
        assertThat(pool.directInUse()).isEqualTo(2);
        assertThat(pool.spilled()).isEqualTo(1);
    }

    @Test
    void aDirectBufferGivenBackIsHandedOutAgainClearedAndNoNewOneIsMade() {
        IoBufferPool pool = new IoBufferPool(1024, 1);
        PooledByteBuffer first = pool.allocate();
        first.getBuffer().put((byte) 7).limit(10);
        var buffer = first.getBuffer();
        first.close();
        assertThat(pool.directInUse()).isZero();

        PooledByteBuffer again = pool.allocate();

        assertThat(again.getBuffer()).isSameAs(buffer);
        assertThat(again.getBuffer().position()).isZero();
        assertThat(again.getBuffer().limit()).isEqualTo(1024);
        assertThat(pool.directMade()).isEqualTo(1);
        assertThat(pool.spilled()).isZero();
    }

    @Test
    void closingTwiceGivesBackOnce() {
        IoBufferPool pool = new IoBufferPool(1024, 2);
        PooledByteBuffer buffer = pool.allocate();
        buffer.close();
        buffer.close();

        List<PooledByteBuffer> out = new ArrayList<>();
        out.add(pool.allocate());
        out.add(pool.allocate());
        out.add(pool.allocate());

        assertThat(out).extracting(b -> b.getBuffer().isDirect()).containsExactly(true, true, false);
        assertThat(out.get(0).getBuffer()).isNotSameAs(out.get(1).getBuffer());
        assertThat(buffer.isOpen()).isFalse();
        assertThatThrownBy(buffer::getBuffer).isInstanceOf(IllegalStateException.class).hasMessageContaining("given back");
    }

    @Test
    void aHeapBufferGivenBackIsNotKept() {
        IoBufferPool pool = new IoBufferPool(1024, 0);
        PooledByteBuffer heap = pool.allocate();
        heap.close();

        assertThat(pool.allocate().getBuffer().isDirect()).isFalse();
        assertThat(pool.directInUse()).isZero();
        assertThat(pool.directMade()).isZero();
        assertThat(pool.spilled()).isEqualTo(2);
    }

    @Test
    void theBudgetIsSevenEighthsOfTheDirectMemoryInSixteenKibibyteBuffers() {
        IoBufferPool pool = IoBufferPool.forDirectMemory(16 * MIB);

        assertThat(pool.size()).isEqualTo(16 * 1024 - 20);
        assertThat(pool.budget()).isEqualTo(897);
        assertThat((long) pool.budget() * pool.size()).isLessThanOrEqualTo(14 * MIB);
    }

    @Test
    void lessDirectMemoryMeansFewerBuffersNotSmallerOnes() {
        assertThat(IoBufferPool.forDirectMemory(MIB).size()).isEqualTo(16 * 1024 - 20);
        assertThat(IoBufferPool.forDirectMemory(MIB).budget()).isEqualTo(56);
        assertThat(IoBufferPool.forDirectMemory(1).budget()).isZero();
    }

    @Test
    void noDirectMemoryIsAnError() {
        assertThatThrownBy(() -> IoBufferPool.forDirectMemory(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxDirectMemory").hasMessageContaining("0");
    }

    @Test
    void thisJvmsLimitIsReadFromItsOptionOrHeap() {
        assertThat(IoBufferPool.maxDirectMemory()).isPositive();
    }

    @Test
    void badSizesAreErrors() {
        assertThatThrownBy(() -> new IoBufferPool(0, 1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("size");
        assertThatThrownBy(() -> new IoBufferPool(1024, -1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("budget");
    }
}
