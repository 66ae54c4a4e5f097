using System.Net;

namespace Sbuild.TestSupport;

/// <summary>The test HTTP servers' shared plumbing: an <see cref="HttpListener"/> on a free 127.0.0.1 port and its accept loop.</summary>
internal static class HttpListeners
{
    /// <summary>
    /// <see cref="TestHttpServer.FreePort"/> can race with another process taking the port before the listener binds it,
    /// so a failed start is retried on another port a few times.
    /// </summary>
    public static (HttpListener Listener, int Port) StartOnFreePort()
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = TestHttpServer.FreePort();
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                return (listener, port);
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                listener.Close();
            }
        }
    }

    /// <summary>
    /// Hands every request to <paramref name="answer"/> on its own task until <paramref name="stop"/> is cancelled and
    /// the listener closed (which ends the pending accept).
    /// </summary>
    public static Task ServeAsync(HttpListener listener, Func<HttpListenerContext, Task> answer, CancellationToken stop) => Task.Run(async () =>
    {
        while (!stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }
            _ = Task.Run(() => answer(context));
        }
    });

    /// <summary>Cancels <paramref name="stop"/>, closes the listener (ending the pending accept) and waits a little for the loop.</summary>
    public static void Stop(HttpListener listener, CancellationTokenSource stop, Task loop)
    {
        stop.Cancel();
        listener.Close();
        try
        {
            loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // the loop ends by its listener being closed
        }
        stop.Dispose();
    }
}
