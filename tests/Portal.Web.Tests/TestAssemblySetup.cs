using System.Runtime.CompilerServices;

namespace Portal.Web.Tests;

internal static class TestAssemblySetup
{
    /// <summary>
    /// bUnit's renderer needs a free thread-pool thread to run wait checks; on a busy 2-core CI
    /// machine the pool grows too slowly, so start it with enough threads.
    /// </summary>
    [ModuleInitializer]
    internal static void RaiseThreadPoolMinimum() => ThreadPool.SetMinThreads(Math.Max(32, Environment.ProcessorCount * 8), 32);
}
