namespace Sbuild.Core;

/// <summary>
/// An exclusive lock shared by threads and processes: .NET opens a file with FileShare.None through
/// flock(LOCK_EX|LOCK_NB), so a second holder gets an IOException and retries until the timeout.
/// Dispose the returned stream to release it.
/// </summary>
public static class FileLock
{
    public static IDisposable Acquire(string path, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(10);
            }
            catch (IOException e)
            {
                throw new SbuildException(ErrorCode.StoreCorrupt, $"timed out waiting for {path}: another sbuild process holds it", e);
            }
        }
    }
}
