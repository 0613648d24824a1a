package rocklet.interop;

/**
 * Runs the real 4.9.3 mqadmin ({@code org.apache.rocketmq.tools.command.MQAdminStartup.main}) with
 * the given arguments, then exits as soon as it returns. Only the exit differs from running
 * MQAdminStartup directly: its admin client shuts its Netty event loops down "gracefully" (a
 * 2-second quiet period per run), which would make the ~100 mqadmin runs of mqadmin.sh take
 * minutes longer. Every subcommand has finished (and closed its client) when main returns.
 *
 * usage: MqadminRun SUBCOMMAND [ARGS...]   (exactly like mqadmin)
 */
public final class MqadminRun {
    private MqadminRun() {}

    public static void main(String[] args) {
        org.apache.rocketmq.tools.command.MQAdminStartup.main(args);
        System.out.flush();
        System.err.flush();
        System.exit(0);
    }
}
