// Benchmark harness for benches/replay.sh (ours): times ZooKeeper 3.8's own
// FileTxnSnapLog.restore of a data dir and the start-up snapshot save.
import java.io.File;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.zookeeper.server.DataTree;
import org.apache.zookeeper.server.persistence.FileTxnSnapLog;

public class ZkRestore {
    public static void main(String[] a) throws Exception {
        long t0 = System.nanoTime();
        FileTxnSnapLog in = new FileTxnSnapLog(new File(a[0]), new File(a[0]));
        DataTree tree = new DataTree();
        Map<Long, Integer> sessions = new ConcurrentHashMap<>();
        long last = in.restore(tree, sessions, (h, r, d) -> { });
        long t1 = System.nanoTime();
        FileTxnSnapLog out = new FileTxnSnapLog(new File(a[1]), new File(a[1]));
        out.save(tree, new ConcurrentHashMap<>(sessions), false);
        long t2 = System.nanoTime();
        System.out.printf("last 0x%x nodes %d restore %.2fs save %.2fs digest %d%n", last, tree.getNodeCount(), (t1 - t0) / 1e9, (t2 - t1) / 1e9, tree.getTreeDigest());
    }
}
