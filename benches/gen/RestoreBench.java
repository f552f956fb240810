// RestoreBench.java - times ZooKeeper's own restore (the baseline for `zkdd replay`).
//
// Runs FileTxnSnapLog.restore (newest valid snapshot + replay of every later log entry)
// into a fresh DataTree, exactly what a server does at start-up, then (with OUTDIR) saves
// the tree as a snapshot in OUTDIR/version-2 like the server's start-up snapshot, and
// prints one line:
//   restore_ms=<ms> save_ms=<ms> last_zxid=0x<hex> nodes=<n> sessions=<n> digest=<n>
// Nothing else is done, so the process time is JVM start + restore (+ save).
//
// Usage: java -cp OUT:/usr/share/java/zookeeper.jar:/usr/share/java/zookeeper-jute.jar:/usr/share/java/slf4j-nop.jar \
//          RestoreBench <dataDir (parent of version-2)> [OUTDIR]
// The dir must hold a snapshot (restore of a dir without one writes snapshot.0 into it).
import java.io.File;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.zookeeper.server.DataTree;
import org.apache.zookeeper.server.persistence.FileTxnSnapLog;

public class RestoreBench {
    public static void main(String[] args) throws Exception {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: RestoreBench <dataDir> [OUTDIR]");
            System.exit(2);
        }
        File dir = new File(args[0]);
        File[] snaps = new File(dir, "version-2").listFiles((d, n) -> n.startsWith("snapshot."));
        if (snaps == null || snaps.length == 0) {
            System.err.println("RestoreBench: no snapshot in " + dir + "/version-2 (restore would write one)");
            System.exit(2);
        }
        long t0 = System.nanoTime();
        FileTxnSnapLog snapLog = new FileTxnSnapLog(dir, dir);
        DataTree tree = new DataTree();
        Map<Long, Integer> sessions = new ConcurrentHashMap<>();
        long last = snapLog.restore(tree, sessions, (hdr, rec, digest) -> { });
        long t1 = System.nanoTime();
        snapLog.close();
        if (args.length == 2) {
            FileTxnSnapLog out = new FileTxnSnapLog(new File(args[1]), new File(args[1]));
            out.save(tree, new ConcurrentHashMap<>(sessions), false);
            out.close();
        }
        long t2 = System.nanoTime();
        System.out.println("restore_ms=" + (t1 - t0) / 1_000_000 + " save_ms=" + (t2 - t1) / 1_000_000 + " last_zxid=0x" + Long.toHexString(last)
                           + " nodes=" + tree.getNodeCount() + " sessions=" + sessions.size()
                           + " digest=" + tree.getTreeDigest());
    }
}
