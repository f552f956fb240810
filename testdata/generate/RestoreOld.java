// RestoreOld.java - ground-truth dumper for the zk-3.4 and zk-3.5 fixtures (see Restore.java,
// which is the same program for 3.6+; the output format is identical).
//
// Differences from Restore.java, forced by the 3.4/3.5 API:
//  * FileTxnSnapLog.PlayBackListener.onTxnLoaded(hdr, rec) has two arguments (no TxnDigest);
//  * DataNode.data is package-private and there is no DataNode.getData(): read by reflection;
//  * there is no tree digest: the summary line says "digest":null.
// For 3.5.9 (flink-shaded, relocated under org.apache.flink.shaded.zookeeper3.) the generator
// (vlib.sh build_restore) rewrites the org.apache.zookeeper. / org.apache.jute. imports before
// compiling; the source below names the plain packages (3.4.14).
//
// Compile: javac -cp zookeeper-3.4.14.jar RestoreOld.java   (after copying it to Restore.java)
// Run:     java -cp zookeeper-3.4.14.jar:slf4j-api.jar:slf4j-nop.jar:. -Duser.timezone=UTC \
//            -Dfile.encoding=UTF-8 Restore <dataDir (parent of version-2)> [<output file>]
// WARNING: run it on a copy of the data dir (restore may write into it).
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.util.*;
import java.util.concurrent.ConcurrentHashMap;
import java.lang.reflect.Field;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.StatPersisted;
import org.apache.zookeeper.server.DataNode;
import org.apache.zookeeper.server.DataTree;
import org.apache.zookeeper.server.persistence.FileTxnSnapLog;

public class Restore {   // file is RestoreOld.java; the generator copies it to Restore.java
    public static void main(String[] args) throws Exception {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: Restore <dataDir> [<outFile>]");
            System.exit(2);
        }
        File dir = new File(args[0]);
        FileTxnSnapLog snapLog = new FileTxnSnapLog(dir, dir);
        DataTree tree = new DataTree();
        Map<Long, Integer> sessions = new ConcurrentHashMap<>();
        long last = snapLog.restore(tree, sessions, (hdr, rec) -> { });
        snapLog.close();

        // walk from the root
        TreeMap<byte[], String> paths = new TreeMap<>(Arrays::compareUnsigned);
        Deque<String> todo = new ArrayDeque<>();
        todo.push("/");
        while (!todo.isEmpty()) {
            String p = todo.pop();
            DataNode n = tree.getNode(p);
            if (n == null) throw new IllegalStateException("missing node " + p);
            paths.put(p.getBytes(StandardCharsets.UTF_8), p);
            Set<String> kids;
            synchronized (n) { kids = new HashSet<>(n.getChildren()); }
            for (String k : kids) todo.push(p.equals("/") ? "/" + k : p + "/" + k);
        }

        PrintStream out = args.length == 2
            ? new PrintStream(new FileOutputStream(args[1]), false, "UTF-8")
            : new PrintStream(new FileOutputStream(FileDescriptor.out), false, "UTF-8");
        Base64.Encoder b64 = Base64.getEncoder();
        Field dataField = DataNode.class.getDeclaredField("data");
        dataField.setAccessible(true);
        for (String p : paths.values()) {
            DataNode n = tree.getNode(p);
            StringBuilder sb = new StringBuilder();
            sb.append("{\"type\":\"node\",\"path\":").append(str(p)).append(",\"data\":");
            byte[] d;
            synchronized (n) { d = (byte[]) dataField.get(n); }
            if (d == null) sb.append("null");
            else sb.append("{\"base64\":\"").append(b64.encodeToString(d)).append("\"}");
            sb.append(",\"acl\":[");
            List<ACL> acl = tree.getACL(n);
            for (int i = 0; i < acl.size(); i++) {
                ACL a = acl.get(i);
                if (i > 0) sb.append(',');
                sb.append("{\"perms\":").append(a.getPerms())
                  .append(",\"scheme\":").append(str(a.getId().getScheme()))
                  .append(",\"id\":").append(str(a.getId().getId())).append('}');
            }
            StatPersisted s = n.stat;
            sb.append("],\"stat\":{\"czxid\":").append(s.getCzxid())
              .append(",\"mzxid\":").append(s.getMzxid())
              .append(",\"pzxid\":").append(s.getPzxid())
              .append(",\"ctime\":").append(s.getCtime())
              .append(",\"mtime\":").append(s.getMtime())
              .append(",\"version\":").append(s.getVersion())
              .append(",\"cversion\":").append(s.getCversion())
              .append(",\"aversion\":").append(s.getAversion())
              .append(",\"ephemeral_owner\":").append(s.getEphemeralOwner())
              .append("}}");
            out.println(sb);
        }
        for (Long id : new TreeSet<>(sessions.keySet())) {
            out.println("{\"type\":\"session\",\"session\":" + id + ",\"timeout_ms\":" + sessions.get(id) + "}");
        }
        String digest = "null";   // 3.4/3.5 have no tree digest
        out.println("{\"type\":\"restore\",\"last_zxid\":" + last + ",\"digest\":" + digest
                    + ",\"node_count\":" + paths.size() + "}");
        out.flush();
        if (args.length == 2) out.close();
    }

    static String str(String s) {
        if (s == null) return "null";
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                case '\b': b.append("\\b"); break;
                case '\f': b.append("\\f"); break;
                default:
                    if (c < 0x20 || c == 0x7f || Character.isSurrogate(c) && !validPair(s, i)) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
            }
        }
        return b.append('"').toString();
    }

    static boolean validPair(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }
}
